// GitLab's slug rule (CI_COMMIT_REF_SLUG, CI_JOB_NAME_SLUG, CI_PROJECT_PATH_SLUG): lowercase, every character
// outside [a-z0-9] becomes "-", at most 63 characters, no leading or trailing "-".
export function slugify(value: string, max = 63): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
}
