import type { ApiRoute } from '../route.js';
import { clientRoutes } from './clients.js';
import { docsRoutes } from './docs.js';
import { exportRoutes } from './export.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';
import { recordingRoutes } from './recording.js';
import { searchTokenRoutes } from './search-token.js';
import { searchRoutes } from './search.js';
import { sessionRoutes } from './sessions.js';
import { syncRoutes } from './sync.js';
import { trackerRoutes } from './trackers.js';
import { uiRoutes } from './ui.js';

/** Every route the API serves: `createApp` mounts these, and the OpenAPI document describes these. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...uiRoutes,
  ...healthRoutes,
  ...searchRoutes,
  ...exportRoutes,
  ...searchTokenRoutes,
  ...sessionRoutes,
  ...recordingRoutes,
  ...trackerRoutes,
  ...clientRoutes,
  ...syncRoutes,
  ...metricsRoutes,
  ...docsRoutes,
];
