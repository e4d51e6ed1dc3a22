/** Wire shapes of the Symphony HTTP API that the extension reads (see docs/api.md). */

export interface DenyReason {
  code: string;
  detail: string;
}

export interface PlanWindow {
  kind: string;
  label: string;
  open: boolean;
  remaining: number | null;
  cap: number | null;
  resets_at: string | null;
  resets_at_local: string | null;
  source: string;
  reserve_hold: boolean;
  power_window_open?: boolean;
}

export interface Candidate {
  model: string;
  provider: string;
  class: string;
  score: number;
  denied: boolean;
  deny_reasons: DenyReason[];
  factors: Record<string, number>;
  why: string[];
  est_tokens: number | null;
  est_cost_usd: number | null;
  est_latency_ms: number | null;
  window: PlanWindow | null;
  policy_hits: string[];
  loa_ok: boolean;
  executable?: boolean;
}

export interface Plan {
  plan_id?: string;
  policy_version: string | null;
  generated_at?: string;
  decision: { primary: Candidate | null; fallbacks: Candidate[] };
  candidates: Candidate[];
  controls?: Record<string, unknown>;
  policy?: { tenant: string; loa_max: number };
}

export interface Overrides {
  tokens_max?: number;
  context_budget_tokens?: number;
  temperature?: number;
  streaming?: boolean;
  tools_allowed?: string[];
  cost_ceiling_usd?: number;
  provider_hints?: string[];
  loa?: number;
  allow_hosted?: boolean;
}

export interface PlanBody {
  task: string;
  input?: string;
  env?: string;
  loa?: number;
  tenant?: string;
  overrides?: Overrides;
}

export interface ExecuteBody extends PlanBody {
  stream?: boolean;
  controls?: Record<string, unknown>;
}

export interface Attempt {
  model: string;
  outcome: string;
  status: number | null;
  latency_ms: number | null;
  reason: string | null;
  kind?: string | null;
}

export interface ExecuteResult {
  audit_id: string;
  latency_ms: number;
  answer: string;
  citations: unknown[];
  tickets: unknown[];
  logs: string[];
  decision: { model: string; provider: string; reason: string };
  controls?: Record<string, unknown>;
  audit: {
    audit_id: string;
    plan_id: string;
    policy_version: string;
    latency_ms: number;
    cost_usd: number | null;
    model_usage: { prompt_tokens: number | null; completion_tokens: number | null };
    attempts: Attempt[];
    stopped_reason: string | null;
  };
}

export interface PowerWindow {
  start: string;
  end: string;
  start_local?: string;
  end_local?: string;
}

export interface MatrixWindow {
  model?: string;
  kind: string;
  label: string;
  unit?: string;
  open: boolean;
  used?: number | null;
  cap: number | null;
  remaining: number | null;
  remaining_fraction?: number | null;
  resets_at: string | null;
  resets_at_local?: string | null;
  eta_seconds?: number | null;
  source: string;
  reserve_hold: boolean;
  power_window_open?: boolean;
  next_power_window?: PowerWindow | null;
  cooldown_until?: string | null;
  closed_reason?: string | null;
}

export interface MatrixItem {
  model: string;
  provider: string;
  class: string;
  executable: boolean;
  configured?: boolean;
  simulated?: boolean;
  window: MatrixWindow;
  schedule?: { power_window_open: boolean; next: PowerWindow[] };
  latency_p95_ms?: number | null;
  price?: { prompt: number; completion: number; unit: string } | null;
  loa_max?: number;
  allow_tasks?: string[];
  killed?: string | null;
}

export interface Matrix {
  items: MatrixItem[];
  policy_version?: string;
}

export interface UpstreamHealth {
  ok: boolean;
  latency_ms: number | null;
  checked_at: string | null;
  status?: number;
  error?: string;
  base_url?: string | null;
}

export interface Health {
  services: Record<string, UpstreamHealth>;
  policy_loaded: boolean;
  policy_version: string | null;
  store: { ok: boolean };
  generated_at: string;
  /** Demo mode only: the in-process provider simulator's base URL (the drill injects faults there). */
  simulator?: string;
}

export interface BurndownCell {
  requests: number;
  tokens: number;
  cost_usd: number;
  cap: number | null;
  remaining: number | null;
}

export interface Burndown {
  generated_at: string;
  windows: Record<string, Record<string, BurndownCell>>;
}

export type KillScope = "all" | "tenant" | "provider" | "model";

export interface Kill {
  scope: KillScope;
  target: string | null;
  reason: string | null;
  actor: string | null;
  at: string;
}

export interface KillResult {
  kill: Kill;
  active: Kill[];
}

export interface UnkillResult {
  unkilled: Kill;
  active: Kill[];
}

export interface ReloadResult {
  ok: boolean;
  changed: boolean;
  version: string;
  errors: string[];
}

export interface AuditRecord {
  seq: number;
  id: string;
  type: string;
  at: string;
  actor: string | null;
  tenant: string | null;
  payload: Record<string, unknown>;
  prev_hash?: string;
  hash?: string;
}

export interface IncidentBody {
  title: string;
  body: string;
  severity: string;
}

export interface Ticket {
  system: "github" | "jira" | string;
  url: string;
  key: string;
}

/** POST /incidents answer (contract from the incidents issue; the endpoint is built elsewhere). */
export interface Incident {
  id: string;
  state: string;
  tickets: Ticket[];
}

/** One event from GET /events (the JSON `data` carries `type` and `at`). */
export interface SymphonyEvent {
  id: string | null;
  type: string;
  data: Record<string, unknown>;
}
