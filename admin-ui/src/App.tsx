import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useLocation } from 'react-router';
import { APIError, hasSession } from './api';
import { Account } from './app/account/Account';
import { Audit } from './app/audit/Audit';
import { useSession } from './app/auth/authApi';
import { SignIn } from './app/auth/SignIn';
import { Changes } from './app/changes/Changes';
import { Environments } from './app/environments/Environments';
import { FlagPage } from './app/flags/Flag';
import { Flags } from './app/flags/Flags';
import { ApiTokens } from './app/keys/ApiTokens';
import { SdkKeys } from './app/keys/SdkKeys';
import { NotFoundPage } from './app/not-found/NotFoundPage';
import { Home } from './app/projects/Home';
import { ProjectSettings } from './app/projects/ProjectSettings';
import { SegmentPage } from './app/segments/Segment';
import { Segments } from './app/segments/Segments';
import { Users } from './app/users/Users';
import { ErrorBanner, Loading } from './components/common/Feedback';
import { ToastProvider } from './components/common/Toasts';
import { ProjectScope } from './components/layout/ProjectScope';

/**
 * The query client: no retries on 4xx, and a 401 anywhere means the session ended. Without a session
 * nothing is asked (the server would only answer 401), unless a query says it may be (who is signed
 * in, how to sign in).
 */
export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error) => {
        // Every view of the caller (`['me', project]`) says nobody is signed in.
        if (error instanceof APIError && error.status === 401)
          client.setQueriesData({ queryKey: ['me'] }, null);
      },
    }),
    defaultOptions: {
      queries: {
        enabled: () => hasSession(),
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
  const me = useSession();
  const location = useLocation();
  if (me.isPending) return <Loading label="Starting Ringflag…" />;
  if (me.isError) return <ErrorBanner error={me.error} title="Cannot reach Ringflag" />;
  if (!me.data)
    return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <Outlet />;
}

/**
 * An address from before projects (`/flags/x`, a bookmark): the same page of the default project,
 * where everything from then lives.
 */
function DefaultProjectRedirect() {
  const { pathname, search, hash } = useLocation();
  return <Navigate to={`/p/default${pathname}${search}${hash}`} replace />;
}

const router = () =>
  createBrowserRouter([
    { path: '/login', element: <SignIn /> },
    {
      element: <Authenticated />,
      children: [
        { path: '/', element: <Home /> },
        {
          // Every page of a project names it: /p/payments/flags/new-checkout.
          path: '/p/:project',
          element: <ProjectScope />,
          children: [
            { index: true, element: <Navigate to="flags" replace /> },
            { path: 'flags', element: <Flags /> },
            { path: 'flags/:key', element: <FlagPage /> },
            { path: 'flags/:key/:env', element: <FlagPage /> },
            { path: 'segments', element: <Segments /> },
            { path: 'segments/:key', element: <SegmentPage /> },
            { path: 'changes', element: <Changes /> },
            { path: 'audit', element: <Audit /> },
            { path: 'keys', element: <SdkKeys /> },
            { path: 'tokens', element: <ApiTokens /> },
            { path: 'environments', element: <Environments /> },
            { path: 'settings', element: <ProjectSettings /> },
            { path: 'users', element: <Users /> },
            { path: 'account', element: <Account /> },
            { path: '*', element: <NotFoundPage /> },
          ],
        },
        { path: '*', element: <DefaultProjectRedirect /> },
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
