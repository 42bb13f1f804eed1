// Web: the HTTP app factory, the staff API and the operational endpoints.
export { createHttpApp } from './http-app.ts';
export type { HttpAppOptions } from './http-app.ts';
export { apiRoutes } from './api-routes.ts';
export type { ApiRouteOptions, SubmissionFilter, SubmissionView } from './api-routes.ts';
export { opsRoutes } from './ops-routes.ts';
export type { OpsRouteOptions, ReadinessCheck } from './ops-routes.ts';
export { gradesRoutes } from './grades-routes.ts';
export type { GradesRouteOptions } from './grades-routes.ts';
export { regradeRoutes } from './regrade-routes.ts';
export type { RegradeRouteOptions } from './regrade-routes.ts';
export { authorize, requireAdminToken } from './auth.ts';
export { reconcileRoutes } from './reconcile-routes.ts';
export type { ReconcileFn, ReconcileRouteOptions } from './reconcile-routes.ts';
