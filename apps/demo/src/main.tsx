/** Entry of the Bulwark demo: site inspections app: mounts the app into the page. */
import { render } from 'preact';

function App() {
  return (
    <main>
      <h1>Bulwark demo: site inspections</h1>
    </main>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
