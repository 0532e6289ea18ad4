// Conductor's HTTP API (spec/conductor.md §10), typed from the generated
// OpenAPI types (openapi.gen.ts, `npm run gen:api`).
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from './client';
import type { components } from './openapi.gen';
import { paths } from './paths';
import type { ListResponse } from './types';

export type CommandRun = components['schemas']['CommandRun'];
export type CommandRunLog = components['schemas']['CommandRunLog'];
export type CommandDefinition = components['schemas']['CommandDefinition'];
export type TriggerRequest = components['schemas']['TriggerRequest'];
export type TriggerResult = components['schemas']['TriggerResult'];

export const RUN_STATUSES = ['waiting', 'running', 'timeout', 'failed', 'success', 'cancelled'] as const;

/** Unfinished runs can be cancelled; finished ones (any outcome) retried, which adds a new run to the slot. */
export function canCancel(run: CommandRun): boolean {
  return run.status_name === 'waiting' || run.status_name === 'running';
}
export function canRetry(run: CommandRun): boolean {
  return !canCancel(run);
}

export function useCommandRuns(query: URLSearchParams) {
  const qs = query.toString();
  return useQuery({
    queryKey: ['list', 'command-run', qs],
    queryFn: ({ signal }) => apiFetch<ListResponse<CommandRun>>(paths.list('command-run'), { query: new URLSearchParams(qs), signal }),
    placeholderData: keepPreviousData,
    // Runs move on their own: poll while the page is open.
    refetchInterval: 5000,
  });
}

export function useCommandDefinitions() {
  return useQuery({
    queryKey: ['list', 'command-definition', 'all'],
    queryFn: ({ signal }) =>
      apiFetch<ListResponse<CommandDefinition>>(paths.list('command-definition'), { query: { limit: 500 }, signal }),
    staleTime: 5 * 60_000,
  });
}

export function useRunLogs(id: number | null) {
  return useQuery({
    queryKey: ['command-run-logs', id],
    queryFn: ({ signal }) =>
      apiFetch<ListResponse<CommandRunLog>>(`${paths.detail('command-run', id ?? 0)}logs/`, { query: { limit: 500 }, signal }),
    enabled: id !== null,
  });
}

export function useRunAction(account: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: 'retry' | 'cancel' }) =>
      apiFetch<CommandRun>(`${paths.detail('command-run', id)}${action}/`, { method: 'POST', query: { account } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['list', 'command-run'] }),
  });
}

export function useTrigger() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: TriggerRequest) => apiFetch<TriggerResult>(`${paths.list('command-slot')}trigger/`, { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['list', 'command-run'] }),
  });
}
