import { Navigate, type RouteObject } from 'react-router';
import { AccountLayout, HomeRedirect } from './features/auth/AccountLayout';
import { LoginPage } from './features/auth/LoginPage';
import { ConfigIndexPage } from './features/config/ConfigIndexPage';
import { ResourceFormPage } from './features/config/ResourceFormPage';
import { ResourceListPage } from './features/config/ResourceListPage';
import { TrackingPage } from './features/config/TrackingPage';
import { ConductorPage } from './features/conductor/ConductorPage';
import { IntegrationsPage } from './features/integrations/IntegrationsPage';
import { NotFoundPage } from './features/NotFoundPage';
import { ReportPage } from './features/reports/ReportPage';
import { ReportsIndex, ReportsLayout } from './features/reports/ReportsLayout';

/** Every route of the dash. The account is always in the URL: /a/:token/… */
export const routes: RouteObject[] = [
  { path: '/', element: <HomeRedirect /> },
  { path: '/login', element: <LoginPage /> },
  {
    path: '/a/:token',
    element: <AccountLayout />,
    children: [
      { index: true, element: <Navigate to="config" replace /> },
      {
        path: 'reports',
        element: <ReportsLayout />,
        children: [
          { index: true, element: <ReportsIndex /> },
          { path: ':report', element: <ReportPage /> },
        ],
      },
      { path: 'config', element: <ConfigIndexPage /> },
      { path: 'config/:resource', element: <ResourceListPage /> },
      { path: 'config/:resource/new', element: <ResourceFormPage /> },
      { path: 'config/:resource/:pk', element: <ResourceFormPage /> },
      { path: 'tracking', element: <TrackingPage /> },
      { path: 'conductor', element: <ConductorPage /> },
      { path: 'integrations', element: <IntegrationsPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
  { path: '*', element: <NotFoundPage standalone /> },
];
