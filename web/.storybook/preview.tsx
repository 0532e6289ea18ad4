import type { Decorator, Preview } from '@storybook/react-vite';
import { QueryClientProvider } from '@tanstack/react-query';
import { mswLoader } from 'msw-storybook-addon/csf3';
import { setupWorker } from 'msw/browser';
import { useState, type ReactNode } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { createQueryClient } from '../src/api/queryClient';
import { ToastProvider } from '../src/components/Toaster/Toaster';
import '../src/styles.css';

declare module 'storybook/internal/csf' {
  interface Parameters {
    /** Memory router for the story: where it starts and the route pattern it is mounted at. */
    router?: { initialEntries?: string[]; path?: string };
  }
}

function StoryProviders({ story, path, entries }: { story: ReactNode; path: string; entries: string[] }) {
  const [client] = useState(() => createQueryClient({ retry: false }));
  const [router] = useState(() => createMemoryRouter([{ path, element: story }], { initialEntries: entries }));
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  );
}

/** Every story gets a fresh QueryClient (no retries), a memory router and the toaster. */
const withProviders: Decorator = (Story, context) => (
  <StoryProviders
    story={<Story />}
    path={context.parameters.router?.path ?? '*'}
    entries={context.parameters.router?.initialEntries ?? ['/']}
  />
);

const preview: Preview = {
  decorators: [withProviders],
  loaders: [
    mswLoader(async () => {
      const worker = setupWorker();
      await worker.start({ quiet: true, onUnhandledRequest: 'bypass', serviceWorker: { url: './mockServiceWorker.js' } });
      return worker;
    }),
  ],
  parameters: {
    layout: 'padded',
    controls: { expanded: true },
    a11y: { test: 'error' },
  },
};

export default preview;
