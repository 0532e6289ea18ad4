import { setupServer } from 'msw/node';

/** MSW for unit tests (Node). Tests add handlers with `server.use(...createMockApi())`. */
export const server = setupServer();
