/** PocketBase's filter language: parse, then compile to parameterized SQLite with a field resolver. */
export { compileFilter, toLikePattern } from './filter.compile';
export type { CompileOptions, FieldResolver, ResolvedIdentifier } from './filter.compile';
export { FilterError } from './filter.error';
export { macroValue } from './filter.macros';
export { uniqueAlias } from './filter.operand';
export { MAX_DEPTH, MAX_EXPRESSIONS, MAX_FILTER_LENGTH, parseFilter } from './filter.parse';
export type { Comparison, FilterNode, Group, Operand } from './filter.parse';
export { SIGN_OPERATORS, tokenize } from './filter.lex';
export type { SignOp, Token } from './filter.lex';
