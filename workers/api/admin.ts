// Bull Board at /admin/queues, behind the admin credentials (HTTP Basic). Not mounted without them.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { HivewatchConfig } from '../config.js';
import { verifyAdmin } from './auth.js';
import { errorBody } from './errors.js';

export const ADMIN_PATH = '/admin/queues';

export async function adminRoutes(app: FastifyInstance, { config, queues }: { config: HivewatchConfig; queues: Queue[] }): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    if (!verifyAdmin(config, request.headers.authorization)) {
      return reply
        .header('WWW-Authenticate', 'Basic realm="hivewatch-admin"')
        .status(401)
        .send(errorBody('HW_ERR_ADMIN_AUTH', 'admin credentials required (admin.user / HIVEWATCH_ADMIN_USER)'));
    }
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(ADMIN_PATH);
  // The two bull-board packages ship their own copies of the adapter interface; they match at runtime.
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'] });
  await app.register(serverAdapter.registerPlugin(), { prefix: ADMIN_PATH });
}
