// Server-sent events over fetch (the streams need the Authorization header, which EventSource
// cannot send); reconnects with Last-Event-ID.
import { headers } from "./api.js";

export function stream(url, onEvent, onState = () => {}) {
  let lastId = null, stopped = false, controller = null, delay = 1000;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const extra = { Accept: "text/event-stream" };
        if (lastId !== null) extra["Last-Event-ID"] = lastId;
        const r = await fetch(url, { headers: headers(extra), signal: controller.signal });
        if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
        onState(true);
        delay = 1000;
        await read(r.body.getReader());
      } catch (e) {
        if (stopped) return;
      }
      onState(false);
      if (stopped) return;
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  async function read(reader) {
    const decoder = new TextDecoder();
    let buffer = "", event = {};
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let i;
      while ((i = buffer.search(/\r?\n/)) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + (buffer[i] === "\r" ? 2 : 1));
        if (line === "") {
          if (event.data !== undefined) {
            if (event.id !== undefined) lastId = event.id;
            let data = event.data;
            try { data = JSON.parse(data); } catch { /* plain text */ }
            onEvent({ event: event.event || "message", id: event.id, data });
          }
          event = {};
        } else if (!line.startsWith(":")) {
          const c = line.indexOf(":");
          const name = c < 0 ? line : line.slice(0, c);
          let v = c < 0 ? "" : line.slice(c + 1);
          if (v.startsWith(" ")) v = v.slice(1);
          event[name] = name === "data" && event.data !== undefined ? `${event.data}\n${v}` : v;
        }
      }
    }
  }

  connect();
  return { close() { stopped = true; if (controller) controller.abort(); } };
}
