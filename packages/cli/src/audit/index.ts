/** `bulwark audit` as a library: scan, formats, baseline, rules and errors. */
export {
  type Baseline,
  type BaselineEntry,
  createBaseline,
  loadBaseline,
  partitionByBaseline,
  writeBaseline,
} from './baseline.js';
export {
  AUDIT_EXIT,
  AuditArchiveError,
  AuditBaselineError,
  AuditOutputError,
  AuditPathNotFoundError,
  AuditUnreadableError,
} from './errors.js';
export { formatJson } from './format/json.js';
export { formatSarif } from './format/sarif.js';
export { formatTable, type TableOptions } from './format/table.js';
export type { FindingGroup, Selection, ViewOptions } from './format/view.js';
export { ALL_RULES, RULES, type RuleId, type RuleMeta } from './rules/catalog.js';
export { type AuditOptions, auditPath } from './scan.js';
export {
  type AuditReport,
  type AuditStats,
  type Finding,
  type FindingContext,
  SEVERITIES,
  type Severity,
} from './types.js';
