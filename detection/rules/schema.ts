// The zod schema of a detection-rules TOML file (elastic/detection-rules): `[metadata]`, `[rule]`
// (with `[[rule.threat]]` and `[rule.investigation_fields]`) and `[[transform.investigate]]`.
// Unknown keys are kept (passthrough): the upstream format grows, and we read only what we use.
import { z } from 'zod';

const nonEmpty = z.string().min(1, 'must be a non-empty string');

const threatEntry = z.looseObject({
  id: nonEmpty,
  name: nonEmpty,
  reference: z.string().optional(),
});

export const threatSchema = z.looseObject({
  framework: nonEmpty,
  tactic: threatEntry,
  technique: z
    .array(
      threatEntry.extend({
        subtechnique: z.array(threatEntry).optional(),
      }),
    )
    .optional(),
});

export const investigateProviderSchema = z.object({
  excluded: z.boolean(),
  field: nonEmpty,
  queryType: z.enum(['phrase', 'range']),
  value: z.string(),
  valueType: z.enum(['string', 'boolean']),
});

export const investigateSchema = z.object({
  label: nonEmpty,
  description: z.string().default(''),
  /** OR of groups, each an AND of clauses (Kibana's investigate semantics). */
  providers: z.array(z.array(investigateProviderSchema).min(1, 'a provider group needs at least one clause')).min(1),
  relativeFrom: z.string().optional(),
  relativeTo: z.string().optional(),
});

export const ruleTableSchema = z.looseObject({
  rule_id: nonEmpty,
  name: nonEmpty,
  description: z.string().optional(),
  type: z.string().optional(),
  language: z.literal('eql', { error: 'only EQL rules are supported here: language must be "eql"' }),
  query: nonEmpty,
  index: z.array(nonEmpty).min(1, 'must list at least one index pattern').optional(),
  risk_score: z.number().int('must be an integer').min(0).max(100),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  threat: z.array(threatSchema).optional(),
  note: z.string().optional(),
  version: z.number().int().positive().optional(),
  from: z.string().optional(),
  interval: z.string().optional(),
  max_signals: z.number().int().positive().optional(),
  timestamp_override: z.string().optional(),
  tags: z.array(z.string()).optional(),
  author: z.array(z.string()).optional(),
  license: z.string().optional(),
  references: z.array(z.string()).optional(),
  investigation_fields: z.looseObject({ field_names: z.array(z.string()) }).optional(),
});

export const metadataSchema = z.looseObject({
  creation_date: z.string().optional(),
  updated_date: z.string().optional(),
  maturity: z.string().optional(),
  integration: z.union([z.string(), z.array(z.string())]).optional(),
  version: z.number().int().positive().optional(),
});

export const ruleFileSchema = z.looseObject({
  metadata: metadataSchema.optional(),
  rule: ruleTableSchema,
  transform: z
    .looseObject({
      investigate: z.array(investigateSchema).optional(),
      /** `[[transform.osquery]]`: kept as written (label, query, ecs_mapping...), rendered as `!{osquery...}`. */
      osquery: z.array(z.looseObject({ label: nonEmpty, query: nonEmpty })).optional(),
    })
    .optional(),
});

export type RuleFileData = z.infer<typeof ruleFileSchema>;
export type Threat = z.infer<typeof threatSchema>;
export type Investigate = z.infer<typeof investigateSchema>;
export type InvestigateProvider = z.infer<typeof investigateProviderSchema>;
