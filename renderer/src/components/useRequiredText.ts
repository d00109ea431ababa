import { useState, type ChangeEvent, type RefObject } from 'react';

/**
 * A required free-text field whose form checks it itself (noValidate: the browser's bubble speaks the
 * browser's language): an empty submit shows the form's own error and puts the cursor back in the
 * field (`field`, the caller's ref on it); typing something clears the error.
 */
export function useRequiredText<E extends HTMLInputElement | HTMLTextAreaElement>(field: RefObject<E | null>) {
  const [value, setValue] = useState('');
  const [missing, setMissing] = useState(false);
  const onChange = (event: ChangeEvent<E>) => {
    setValue(event.target.value);
    if (event.target.value.trim() !== '') setMissing(false);
  };
  /** Whether the field holds more than blanks; when not, shows the error and focuses the field. */
  const check = (): boolean => {
    if (value.trim() !== '') return true;
    setMissing(true);
    field.current?.focus();
    return false;
  };
  return { value, missing, setValue, onChange, check };
}
