/** Entry of the Bulwark console app: mounts the app into the page. */
import { render } from 'preact';

function App() {
  return (
    <main>
      <h1>Bulwark console</h1>
    </main>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
