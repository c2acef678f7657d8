// The web UI's entry point. The full UI (dashboard, devices, catalog, install wizard...) grows in
// ui/components and ui/data; this shell handles first-start setup and login.
import './components/app/app.component.js';
