/** Under CI (CI set, and not "0" or "false") a test that needs a missing service fails instead of skipping. */
export const underCi = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI ?? '');
