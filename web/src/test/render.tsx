import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';
import { createQueryClient } from '../api/queryClient';
import { ToastProvider } from '../components/Toaster/Toaster';

export interface RenderOptions {
  /** Route pattern the element is mounted at (default "*"). */
  path?: string;
  initialEntries?: string[];
  /** Extra routes, e.g. targets of navigation. */
  routes?: RouteObject[];
  queryClient?: QueryClient;
}

/** Renders `ui` inside a memory router, a fresh QueryClient and the toaster. */
export function renderWithRouter(ui: ReactElement, options: RenderOptions = {}) {
  const queryClient = options.queryClient ?? createQueryClient({ retry: false });
  const router = createMemoryRouter(
    [{ path: options.path ?? '*', element: ui }, ...(options.routes ?? [])],
    { initialEntries: options.initialEntries ?? ['/'] },
  );
  const result = render(
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>,
  );
  return { ...result, router, queryClient };
}

/** Renders the whole app (real routes) at `path`. */
export async function renderApp(path: string, queryClient?: QueryClient) {
  const { routes } = await import('../routes');
  const qc = queryClient ?? createQueryClient({ retry: false });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const result = render(
    <QueryClientProvider client={qc}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>,
  );
  return { ...result, router, queryClient: qc };
}
