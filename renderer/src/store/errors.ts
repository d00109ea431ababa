import { toRpcErrorShape } from '../api.js';
import type { UiError } from './types.js';

export function toUiError(error: unknown): UiError {
  return toRpcErrorShape(error);
}
