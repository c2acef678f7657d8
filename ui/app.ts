// The web UI's entry point: the shell (setup, login, navigation) and the dashboard; other pages load
// on first visit.
import './components/app/app.component.js';
