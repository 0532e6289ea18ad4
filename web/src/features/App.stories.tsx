// Whole pages, through the real routes, against the MSW imitation of the API.
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useRoutes } from 'react-router';
import { expect, screen, waitFor, within } from 'storybook/test';
import { createMockApi } from '../mocks/handlers';
import { routes } from '../routes';

function App() {
  return useRoutes(routes);
}

const at = (path: string) => ({ router: { initialEntries: [path] } });

const meta = {
  title: 'Pages/App',
  component: App,
  parameters: { layout: 'fullscreen', msw: createMockApi() },
  beforeEach: () => {
    document.cookie = 'csrftoken=story-token; path=/';
  },
} satisfies Meta<typeof App>;
export default meta;
type Story = StoryObj<typeof meta>;

export const ConfigurationIndex: Story = {
  parameters: at('/a/c-a-demo-gb/config'),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'Configuration' })).toBeVisible();
    await expect(canvas.getByRole('link', { name: 'Patterns' })).toHaveAttribute('href', '/a/c-a-demo-gb/config/pattern');
  },
};

export const PatternList: Story = {
  parameters: at('/a/c-a-demo-gb/config/pattern?order_by=-priority&limit=5'),
  play: async ({ canvas, userEvent }) => {
    const table = await canvas.findByRole('table', { name: 'Patterns' });
    await expect(canvas.getByText('1–5 of 14 patterns')).toBeVisible();
    await expect(within(table).getByRole('columnheader', { name: /Priority/ })).toHaveAttribute('aria-sort', 'descending');
    await userEvent.click(canvas.getByRole('button', { name: /Next/ }));
    await expect(await canvas.findByText('6–10 of 14 patterns')).toBeVisible();
  },
};

export const PatternListMobile: Story = {
  parameters: at('/a/c-a-demo-gb/config/pattern'),
  globals: { viewport: { value: 'mobile1' } },
};

export const EmptyList: Story = {
  parameters: {
    ...at('/a/c-a-demo-gb/config/channel'),
    msw: createMockApi({
      resources: {
        channel: {
          schema: (await import('../mocks/fixtures')).channelSchema,
          rows: [],
        },
      },
    }),
  },
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'No channels yet' })).toBeVisible();
  },
};

export const CreateWithConflict: Story = {
  parameters: at('/a/c-a-demo-gb/config/channel/new'),
  play: async ({ canvas, userEvent }) => {
    await userEvent.type(await canvas.findByRole('textbox', { name: /Name/ }), 'Email');
    await userEvent.click(canvas.getByRole('button', { name: 'Create' }));
    const input = canvas.getByRole('textbox', { name: /Name/ });
    await waitFor(() => expect(input).toHaveAttribute('aria-invalid', 'true'));
    await expect(canvas.getByRole('alert')).toHaveFocus();
  },
};

export const EditAndDelete: Story = {
  parameters: at('/a/c-a-demo-gb/config/pattern/4'),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(await canvas.findByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete pattern 4?' });
    await expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await expect(await canvas.findByRole('table', { name: 'Patterns' })).toBeVisible();
  },
};

export const Tracking: Story = {
  parameters: at('/a/c-a-demo-gb/tracking'),
  play: async ({ canvas }) => {
    await expect(await canvas.findByLabelText('Tag for every page')).toHaveTextContent("setAccount', 'c-a-demo-gb'");
  },
};

export const Reports: Story = {
  parameters: at('/a/c-a-demo-gb/reports'),
  play: async ({ canvas }) => {
    const table = await canvas.findByRole('table', { name: 'My data by channel' });
    await expect(within(table).getAllByRole('row').at(-1)).toHaveTextContent('£520.00');
  },
};

const groupNames = (table: HTMLElement) => [...table.querySelectorAll('tbody th')].map((th) => th.textContent);

export const ReportFilteredByChannel: Story = {
  parameters: at('/a/c-a-demo-gb/reports/report-my-data?f.channel=2,3'),
  play: async ({ canvas, userEvent }) => {
    const table = await canvas.findByRole('table', { name: 'My data by channel' });
    await waitFor(() => expect(groupNames(table)).toEqual(['Email', 'SEO']));
    await expect(canvas.getByRole('link', { name: 'My data' })).toHaveAttribute('aria-current', 'page');
    await userEvent.click(await canvas.findByRole('button', { name: 'Remove Channel filter: Email' }));
    await waitFor(() => expect(groupNames(table)).toEqual(['SEO']));
  },
};

export const UnknownReport: Story = {
  parameters: at('/a/c-a-demo-gb/reports/report-nope'),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'There is no report “report-nope”' })).toBeVisible();
  },
};

export const NoAccess: Story = {
  parameters: at('/a/c-a-nope-xx/config'),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'You have no access to this account' })).toBeVisible();
  },
};

export const NotFound: Story = {
  parameters: at('/a/c-a-demo-gb/nowhere'),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'Page not found' })).toBeVisible();
  },
};

export const NotFoundOutside: Story = {
  parameters: at('/nowhere'),
  play: async ({ canvas }) => {
    await expect(await canvas.findByRole('heading', { name: 'Page not found' })).toBeVisible();
  },
};

export const ConductorRuns: Story = {
  parameters: at('/a/c-a-demo-gb/conductor'),
  play: async ({ canvas, userEvent }) => {
    const table = await canvas.findByRole('table', { name: 'Command runs' });
    await expect(within(table).getByText('Waits: waits for attribute_sales (failed)')).toBeVisible();
    await userEvent.click(within(table).getByRole('button', { name: 'Retry run 3' }));
    await waitFor(() => expect(within(table).getByText('#6')).toBeVisible());
  },
};

export const ConductorRunsMobile: Story = {
  parameters: at('/a/c-a-demo-gb/conductor'),
  globals: { viewport: { value: 'mobile1' } },
};

export const Integrations: Story = {
  parameters: at('/a/c-a-demo-gb/integrations'),
  play: async ({ canvas }) => {
    const table = await canvas.findByRole('table', { name: 'Connections' });
    await expect(within(table).getByText('The grant was revoked at the provider.')).toBeVisible();
    await expect(canvas.getByRole('link', { name: 'Connect Meta' })).toHaveAttribute('href', '/integrations/meta_ads/connect?account=c-a-demo-gb');
  },
};
