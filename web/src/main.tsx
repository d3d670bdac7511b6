import { render } from "preact";
import "maplibre-gl/dist/maplibre-gl.css";
import "./styles.css";
import { api } from "./api";
import { initAuth, type Me } from "./auth";
import { loadConfig } from "./config";
import { App } from "./App";

async function start(): Promise<void> {
  await loadConfig();
  render(<App />, document.getElementById("app")!);
  // The header shows what the API verified about the caller (registry /whoami).
  await initAuth(() => api<Omit<Me, "source">>("registry", "/api/v1/whoami"));
}

void start();
