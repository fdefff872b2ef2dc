// The approval console: plain DOM, bundled by esbuild when the server starts. It talks only to this
// server's /v1 API with the responder's own token; nothing is loaded from or sent to anywhere else.

interface Approval { identity: string; role: string; hash: string; at: string; expiresAt: string }
interface Step {
  stepId: string; action: string; target: string; state: string; hash: string; reason: string;
  connectorAction: string | null; undo: string | null; manual: boolean; approvals: Approval[]; usedApprovals: Approval[];
  approvalsRequired: number; approvalsMissing: number; actions: string[]; detail: string | null;
  revertOf: string | null; escalated: boolean; deadline: string; requestedBy: { id: string };
}
interface Evidence { connector: string; query: string; summary: string }
interface Factor { id: string; weight: number; description?: string; evidence: Evidence[] }
interface Report {
  disposition: string; score: number; verification: { verified: boolean; reason: string };
  hives: string[]; outputPath: string | null; destinations: string[]; hostRole: string | null;
  criticality: string | null; factors: Factor[]; unresolved: string[];
}
interface CaseSummary { caseId: string; hostId: string | null; disposition: string | null; waiting: number; steps: number }
interface CaseDetail { caseId: string; case: { hostId: string; hostName: string | null; status: string } | null; report: Report | null; evidenceVersion: number | null; steps: Step[] }

const TOKEN_KEY = 'hivewatch.token';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let current: string | null = null;
let pollTimer: number | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

function showError(message: string): void {
  $('error').textContent = message;
}

async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const response = await fetch(url, {
    method,
    // Behind an SSO proxy there is no token: the proxy adds the identity headers itself.
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  const data = (await response.json().catch(() => ({}))) as T & { error?: { code: string; message: string } };
  if (!response.ok) {
    const error = data.error ?? { code: `HTTP_${response.status}`, message: response.statusText };
    if (response.status === 401 && token) signOut();
    throw new Error(`${error.code}: ${error.message}`);
  }
  return data;
}

function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  $('app').hidden = true;
  $('login').hidden = false;
  $('who').textContent = '';
}

async function signIn(): Promise<void> {
  const who = await api<{ id: string; role: string }>('GET', '/v1/response/whoami');
  $('who').textContent = `${who.id} (${who.role})`;
  $('login').hidden = true;
  $('app').hidden = false;
  await loadCases();
  const fromHash = /case=([\w.-]+)/.exec(location.hash)?.[1];
  if (fromHash) await openCase(fromHash);
}

async function loadCases(): Promise<void> {
  const all = ($('show-all') as HTMLInputElement).checked;
  const { cases } = await api<{ cases: CaseSummary[] }>('GET', `/v1/response/cases?open=${all ? 'false' : 'true'}`);
  const list = $('cases');
  list.replaceChildren(
    ...cases.map((item) => {
      const button = el('button', { type: 'button', 'data-case': item.caseId, class: item.caseId === current ? 'active' : '' }, `${item.caseId} · ${item.hostId ?? '?'} · ${item.disposition ?? '?'} · ${item.waiting} waiting`);
      button.addEventListener('click', () => void openCase(item.caseId).catch((err: Error) => showError(err.message)));
      return el('li', {}, button);
    }),
  );
  if (cases.length === 0) list.append(el('li', { class: 'hint' }, 'Nothing waiting.'));
}

function evidenceView(report: Report | null, evidenceVersion: number | null): HTMLElement {
  if (!report) return el('p', { class: 'hint' }, `No triage report stored for this case (evidence version ${evidenceVersion ?? '-'}).`);
  const factors = el('ul', { 'data-testid': 'factors' });
  for (const factor of report.factors) {
    const item = el('li', { class: factor.weight < 0 ? 'factor-neg' : 'factor-pos' }, `${factor.weight >= 0 ? '+' : ''}${factor.weight} ${factor.id}${factor.description ? `: ${factor.description}` : ''}`);
    if (factor.evidence.length) item.append(el('ul', {}, ...factor.evidence.map((evidence) => el('li', {}, `${evidence.summary} `, el('span', { class: 'hash' }, `[${evidence.connector}: ${evidence.query}]`)))));
    factors.append(item);
  }
  return el(
    'section',
    { 'data-testid': 'evidence' },
    el('h3', {}, `Evidence (version ${evidenceVersion ?? '-'})`),
    el('p', {}, `Disposition ${report.disposition}, score ${report.score}. Verified: ${report.verification.verified ? 'yes' : 'no'} (${report.verification.reason}).`),
    el('p', {}, `Hives ${report.hives.join(', ') || '-'} → ${report.outputPath ?? '-'} (${report.destinations.join(', ') || '-'}). Host role ${report.hostRole ?? 'unknown'}, criticality ${report.criticality ?? 'unknown'}.`),
    factors,
    report.unresolved.length ? el('p', { class: 'hint' }, `Unresolved: ${report.unresolved.join('; ')}`) : el('span'),
  );
}

function stepRow(caseId: string, step: Step): HTMLTableRowElement {
  const buttons = el('td', { class: 'buttons' });
  const act = (label: string, run: () => Promise<unknown>) => {
    const button = el('button', { type: 'button', 'data-action': label, 'data-step': step.stepId }, label);
    button.addEventListener('click', () => {
      button.disabled = true;
      showError('');
      run()
        .then(() => openCase(caseId))
        .catch((err: Error) => {
          showError(err.message);
          button.disabled = false;
        });
    });
    buttons.append(button);
  };
  const reasonInput = el('input', { type: 'text', placeholder: 'reason / note', 'data-reason': step.stepId });
  const base = `/v1/cases/${encodeURIComponent(caseId)}/steps/${encodeURIComponent(step.stepId)}`;
  if (step.actions.includes('approve')) act('approve', () => api('POST', `${base}/approve`, { hash: step.hash }));
  if (step.actions.includes('deny')) act('deny', () => api('POST', `${base}/deny`, { reason: reasonInput.value }));
  if (step.actions.includes('evidence')) act('more evidence', () => api('POST', `${base}/evidence`, { question: reasonInput.value || 'more evidence requested from the console' }));
  if (step.actions.includes('revert')) act('revert', () => api('POST', `${base}/revert`, { reason: reasonInput.value || 'reverted from the console' }));
  if (step.actions.includes('complete')) act('mark done', () => api('POST', `${base}/complete`, { outcome: 'done', note: reasonInput.value }));
  if (step.actions.includes('retry')) act('retry', () => api('POST', `${base}/retry`));
  if (step.actions.some((name) => ['deny', 'evidence', 'revert', 'complete'].includes(name))) buttons.append(reasonInput);
  const approvals = step.approvals.map((approval) => approval.identity).join(', ');
  const used = step.usedApprovals.map((approval) => approval.identity).join(', ');
  const approvalText = step.state === 'proposed' || step.state === 'approved' ? `${step.approvals.length}/${step.approvalsRequired}${approvals ? ` (${approvals})` : ''}` : used ? `approved by ${used}` : '';
  return el(
    'tr',
    { 'data-step': step.stepId, 'data-state': step.state },
    el('td', {}, step.stepId),
    el('td', {}, el('strong', {}, step.action), ` ${step.target}`, el('br'), el('span', { class: 'hint' }, step.reason), step.revertOf ? el('div', { class: 'hint' }, `undoes ${step.revertOf}`) : el('span')),
    el('td', {}, step.manual ? 'manual' : (step.connectorAction ?? '')),
    el('td', {}, step.undo ?? 'cannot be undone'),
    el('td', { class: `state state-${step.state}`, 'data-testid': `state-${step.stepId}` }, step.state + (step.escalated ? ' (escalated)' : '')),
    el('td', {}, approvalText, step.detail ? el('div', { class: 'hint' }, step.detail) : el('span')),
    el('td', { class: 'hash', title: step.hash }, step.hash.slice(0, 12)),
    buttons,
  );
}

async function openCase(caseId: string): Promise<void> {
  current = caseId;
  location.hash = `case=${caseId}`;
  const detail = await api<CaseDetail>('GET', `/v1/response/cases/${encodeURIComponent(caseId)}`);
  const table = el(
    'table',
    { 'data-testid': 'steps' },
    el('thead', {}, el('tr', {}, ...['step', 'action', 'via', 'undo', 'state', 'approvals', 'hash', ''].map((title) => el('th', {}, title)))),
    el('tbody', {}, ...detail.steps.map((step) => stepRow(caseId, step))),
  );
  $('case').replaceChildren(
    el('h2', {}, `Case ${caseId}`, detail.case ? el('span', { class: 'hint' }, ` · ${detail.case.hostName ?? detail.case.hostId} · ${detail.case.status}`) : el('span')),
    evidenceView(detail.report, detail.evidenceVersion),
    el('h3', {}, 'Steps'),
    table,
  );
  for (const button of document.querySelectorAll<HTMLButtonElement>('nav li button')) button.classList.toggle('active', button.dataset.case === caseId);
  window.clearTimeout(pollTimer);
  if (detail.steps.some((step) => step.state === 'approved' || (step.state === 'running' && !step.manual))) {
    pollTimer = window.setTimeout(() => void openCase(caseId).catch((err: Error) => showError(err.message)), 1000);
  }
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, ($('token') as HTMLInputElement).value.trim());
  signIn().catch((err: Error) => showError(err.message));
});
$('show-all').addEventListener('change', () => void loadCases().catch((err: Error) => showError(err.message)));
if (sessionStorage.getItem(TOKEN_KEY)) signIn().catch((err: Error) => showError(err.message));
// Without a token, try the SSO proxy's identity; the login form stays for token users.
else signIn().catch(() => undefined);
