"""Words and numbers: the message catalogue (i18n, locales/), times as people type them, the fact vocabulary. Imports only the contracts."""
