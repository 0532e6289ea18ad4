import * as Toast from '@radix-ui/react-toast';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

export interface ToastMessage {
  title: string;
  description?: string;
  tone?: 'success' | 'error';
}

interface Item extends ToastMessage {
  id: number;
}

const ToastContext = createContext<((t: ToastMessage) => void) | null>(null);

let nextId = 1;

/**
 * Short confirmations ("Pattern saved.") in a live region (Radix Toast):
 * announced politely, dismissible with a button or by swiping, and the
 * viewport is reachable with F8.
 */
export function ToastProvider({ children, duration = 5000 }: { children: ReactNode; duration?: number }) {
  const [items, setItems] = useState<Item[]>([]);
  const push = useCallback((t: ToastMessage) => {
    const id = nextId++;
    setItems((xs) => [...xs.slice(-2), { ...t, id }]);
  }, []);
  const remove = (id: number) => setItems((xs) => xs.filter((x) => x.id !== id));
  return (
    <ToastContext.Provider value={push}>
      <Toast.Provider duration={duration} swipeDirection="right">
        {children}
        {items.map((t) => (
          <Toast.Root
            key={t.id}
            className="toast"
            data-tone={t.tone ?? 'success'}
            type={t.tone === 'error' ? 'foreground' : 'background'}
            onOpenChange={(open) => {
              if (!open) remove(t.id);
            }}
          >
            <div>
              <Toast.Title style={{ fontWeight: 600 }}>{t.title}</Toast.Title>
              {t.description && <Toast.Description className="muted">{t.description}</Toast.Description>}
            </div>
            <Toast.Close className="btn btn-small btn-link" aria-label="Dismiss">
              ✕
            </Toast.Close>
          </Toast.Root>
        ))}
        <Toast.Viewport className="toast-viewport" />
      </Toast.Provider>
    </ToastContext.Provider>
  );
}

/** Returns `toast(message)`; needs a ToastProvider above. */
export function useToast(): (t: ToastMessage) => void {
  const push = useContext(ToastContext);
  return useMemo(
    () =>
      push ??
      (() => {
        throw new Error('useToast needs a <ToastProvider>');
      }),
    [push],
  );
}
