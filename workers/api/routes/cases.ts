// GET /v1/cases/:id and GET /v1/cases?host.id=&user.id=&status=: cases with their job history and report.
// Readable by SIEM senders (webhook credentials) and by responders of any role.
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { PreHandler } from '../case-reader-auth.js';
import { caseJobHistory } from '../../cases/history.js';
import type { CaseRecord, CaseStore } from '../../cases/store.js';
import { HttpError } from '../errors.js';
import { caseListQuerySchema } from '../schemas.js';

export interface CasesRouteOptions {
  cases: CaseStore;
  queues: Record<string, Queue>;
  /** Webhook credentials or a responder identity (case-reader-auth.ts); defaults to webhook credentials only. */
  authenticate?: PreHandler;
}

export async function casesRoutes(app: FastifyInstance, { cases, queues, authenticate }: CasesRouteOptions): Promise<void> {
  const preHandler = [authenticate ?? app.authenticate];
  const detail = async (record: CaseRecord, history: boolean) => {
    const [alertIds, jobs, report] = await Promise.all([
      cases.alertIds(record.id),
      history ? caseJobHistory(cases, queues, record.id) : Promise.resolve([]),
      cases.getReport(record.id),
    ]);
    return { case: record, alertIds, jobs, report };
  };

  app.get<{ Params: { id: string } }>('/v1/cases/:id', { preHandler }, async (request) => {
    const id = request.params.id;
    if (!/^[\w.-]{1,128}$/.test(id)) throw new HttpError(400, 'HW_ERR_CASE_ID', 'id: a case id is letters, digits, "_", "." or "-" (e.g. case-m1x2...)');
    const record = await cases.get(id);
    if (!record) throw new HttpError(404, 'HW_ERR_CASE_NOT_FOUND', `no case "${id}"; list cases with GET /v1/cases`);
    return detail(record, true);
  });

  app.get('/v1/cases', { preHandler }, async (request) => {
    const parsed = caseListQuerySchema.safeParse(request.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : 'query');
      throw new HttpError(400, 'HW_ERR_QUERY', `${field}: ${issue.message}; filters are host.id, user.id, status, limit, offset, history`);
    }
    const query = parsed.data;
    const records = await cases.list({ hostId: query['host.id'], userId: query['user.id'], status: query.status, limit: query.limit, offset: query.offset });
    return { cases: await Promise.all(records.map((record) => detail(record, query.history !== 'false'))) };
  });
}
