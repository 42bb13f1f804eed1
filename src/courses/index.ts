// Glossary: a *course* is one YAML file in the courses directory; it has
// *assignments*, each with a deadline and an optional *check* (how hidden tests
// are run: `local` in a sandbox or `gitlab-ci` in a pipeline). A *student* is
// identified by the {student} segment of a GitLab project path, and a
// submission key is "course:assignment:student". Import only from this file.
export { loadCourses } from './loader.ts';
export type { LoadCoursesOptions, LoadedCourses } from './loader.ts';
export { parseCourse } from './parse.ts';
export { coursesBySlug, createProjectResolver } from './project-path.ts';
export type { ProjectResolver, ResolveResult } from './project-path.ts';
export { CourseConfigError, formatProblem } from './types.ts';
export type {
  Assignment, AttemptLimits, CheckConfig, CountsPolicy, Course, CourseProblem, EmailNotify, Env,
  GitlabCiCheck, GitlabSettings, LatePolicy, LocalCheck, NotifySettings, Scoring, WebhookNotify,
} from './types.ts';
