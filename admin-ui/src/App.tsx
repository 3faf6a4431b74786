import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useLocation } from 'react-router';
import { APIError } from './api';
import { Account } from './app/account/Account';
import { Audit } from './app/audit/Audit';
import { meKey, useMe } from './app/auth/authApi';
import { SignIn } from './app/auth/SignIn';
import { Changes } from './app/changes/Changes';
import { Environments } from './app/environments/Environments';
import { FlagPage } from './app/flags/Flag';
import { Flags } from './app/flags/Flags';
import { ApiTokens } from './app/keys/ApiTokens';
import { SdkKeys } from './app/keys/SdkKeys';
import { NotFoundPage } from './app/not-found/NotFoundPage';
import { SegmentPage } from './app/segments/Segment';
import { Segments } from './app/segments/Segments';
import { Users } from './app/users/Users';
import { ErrorBanner, Loading } from './components/common/Feedback';
import { ToastProvider } from './components/common/Toasts';
import { CurrentEnvProvider } from './components/layout/current-env';
import { Shell } from './components/layout/Shell';

/** The query client: no retries on 4xx, and a 401 anywhere means the session ended. */
export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error) => {
        if (error instanceof APIError && error.status === 401) client.setQueryData(meKey, null);
      },
    }),
    defaultOptions: {
      queries: {
        retry: (count, error) =>
          !(error instanceof APIError && error.status >= 400 && error.status < 500) && count < 2,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
  return client;
}

/** Every signed-in screen: redirects to sign in without a session. */
function Authenticated() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading label="Starting Ringflag…" />;
  if (me.isError) return <ErrorBanner error={me.error} title="Cannot reach Ringflag" />;
  if (!me.data)
    return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return (
    <CurrentEnvProvider>
      <Shell>
        <Outlet />
      </Shell>
    </CurrentEnvProvider>
  );
}

const router = () =>
  createBrowserRouter([
    { path: '/login', element: <SignIn /> },
    {
      element: <Authenticated />,
      children: [
        { path: '/', element: <Navigate to="/flags" replace /> },
        { path: '/flags', element: <Flags /> },
        { path: '/flags/:key', element: <FlagPage /> },
        { path: '/flags/:key/:env', element: <FlagPage /> },
        { path: '/segments', element: <Segments /> },
        { path: '/segments/:key', element: <SegmentPage /> },
        { path: '/changes', element: <Changes /> },
        { path: '/audit', element: <Audit /> },
        { path: '/keys', element: <SdkKeys /> },
        { path: '/tokens', element: <ApiTokens /> },
        { path: '/users', element: <Users /> },
        { path: '/environments', element: <Environments /> },
        { path: '/account', element: <Account /> },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ]);

/** The admin UI. */
export function App({ queryClient }: { queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  const [routes] = useState(router);
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>
        <RouterProvider router={routes} />
      </ToastProvider>
    </QueryClientProvider>
  );
}
