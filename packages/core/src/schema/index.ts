/**
 * `@bulwark/core/schema`: declare collections once, with a data class per field, and derive from
 * that declaration the record types, the validator used by client and server, the device
 * projection, the classified paths and the JSON Schema. See docs/schema.md.
 */
export {
  type AnyCollection,
  type Collection,
  type CollectionOptions,
  collection,
  isCollection,
  SYSTEM_FIELDS,
} from './collection.js';
export { defineSchema, type Schema } from './define-schema.js';
export { deviceView } from './device-view.js';
export { SchemaDefinitionError, ValidationError } from './errors.js';
export type {
  AnyField,
  ArrayNode,
  BooleanNode,
  DateTimeNode,
  EnumNode,
  Field,
  FieldClass,
  FieldDeviceOut,
  FieldNode,
  FieldOut,
  FieldTypes,
  NumberNode,
  ObjectNode,
  StringNode,
} from './field.js';
export { type ArrayOptions, type NumberOptions, type StringOptions, t } from './fields.js';
export type {
  Fields,
  InferDevicePatch,
  InferDeviceRecord,
  InferRecord,
  ObjectDeviceOut,
  ObjectOut,
  Simplify,
} from './infer.js';
export { type Issue, ReasonCode } from './issues.js';
export { type JsonSchema, type JsonSchemaView, toJsonSchema } from './json-schema.js';
export { isDateTime } from './lib/date-time.js';
export * from './limits.js';
export { EVERY_ITEM, type FieldPath, sensitivePaths, serverOnlyPaths } from './paths.js';
export {
  assertValid,
  type Validated,
  type ValidateOptions,
  type ValidationResult,
  validate,
} from './validate.js';
