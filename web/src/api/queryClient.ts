import { QueryCache, QueryClient } from '@tanstack/react-query';
import { isApiError } from './client';
import { queryKeys } from './hooks';

/**
 * The app's QueryClient. A 401 from any query means the session ended:
 * the `me` query becomes null and the router sends the user to log in.
 */
export function createQueryClient(options: { retry?: boolean } = {}): QueryClient {
  const qc: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (isApiError(error) && error.status === 401 && query.queryKey[0] !== 'me') {
          qc.setQueryData(queryKeys.me, null);
        }
      },
    }),
    defaultOptions: {
      queries: {
        refetchOnWindowFocus: false,
        staleTime: 30_000,
        retry:
          options.retry === false
            ? false
            : (count, error) => {
                // Client errors will not get better by asking again.
                if (isApiError(error) && error.status >= 400 && error.status < 500) return false;
                return count < 2;
              },
      },
      mutations: { retry: false },
    },
  });
  return qc;
}
