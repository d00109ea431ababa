import { useId } from 'react';
import { isLanguage } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';

export function LanguageSelect() {
  const t = useT();
  const id = useId();
  const language = useAppStore((s) => s.language);
  const setLanguage = useAppStore((s) => s.setLanguage);
  return (
    <span className="language-select">
      {/* Named for screen readers; on screen the selected language names itself ("English", "简体中文"), which keeps the header on one row at 1280 px. */}
      <label htmlFor={id} className="visually-hidden">
        {t('language.label')}
      </label>
      <select
        id={id}
        title={t('language.label')}
        value={language}
        onChange={(event) => {
          if (isLanguage(event.target.value)) setLanguage(event.target.value);
        }}
      >
        <option value="zh-CN" lang="zh-CN">
          简体中文
        </option>
        <option value="en" lang="en">
          English
        </option>
      </select>
    </span>
  );
}
