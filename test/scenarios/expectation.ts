// What a scenario's scenario.json says its triage report must show: written by data/build-datasets.ts,
// checked by scenarios.test.ts.
export interface ScenarioExpectation {
  verified: boolean;
  disposition: string;
  hives: string[];
  hostRole: string | null;
  destinations?: string[];
  factors: string[];
  absentFactors?: string[];
  plan: string[];
  unresolved?: string[];
  drift?: boolean;
  candidateExceptions?: number;
  workflowError?: string;
}
