import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { Layout } from './components.js';
import { AssetsPage } from './pages/assets.js';
import { DatastoresPage } from './pages/datastores.js';
import { DeploymentsPage } from './pages/deployments.js';
import { RecordsPage } from './pages/records.js';
import { RequestsPage } from './pages/requests.js';
import { type Route, useRoute } from './router.js';

const PAGES: Record<string, (props: { route: Route }) => preact.JSX.Element> = {
  datastores: DatastoresPage,
  assets: AssetsPage,
  records: RecordsPage,
  requests: RequestsPage,
  deployments: DeploymentsPage,
};

function App() {
  const route = useRoute();
  const section = route.segments[0] ?? 'datastores';
  const Page = PAGES[section];
  return (
    <Layout section={section}>
      {Page ? (
        <Page route={route} />
      ) : (
        <p class="error">
          No page <code>{section}</code>. <a href="#/">Start over</a>
        </p>
      )}
    </Layout>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
