// Change events arrive in bursts. A national registry re-published with every row changed is ~110,000 `change`
// events within a minute. Handled one at a time, each event redrew the last-event box, added a pulse marker and
// restarted the redraw timers. During such a burst (108,900 events, measured with tools/e2e-burst.mjs in headless
// chromium), the officers' map spent 54 s in long tasks, the longest 1.1 s, and counted the last event 68 s after
// the push answered. Batched: 8.5 s in long tasks, the longest 0.5 s, the last event counted after 24 s.
//
// batchEvents(handle) returns a listener for EventSource that only queues the message. `handle` then receives the
// queued messages together, at most once every `everyMs`, so the work a page does once per batch (drawing, timers)
// is done once per batch and not once per event. Background tabs throttle timers, and the queue then holds one
// throttled interval of events.
export function batchEvents(handle, { everyMs = 100 } = {}) {
  let queue = [];
  let timer = null;
  const flush = () => {
    timer = null;
    const batch = queue;
    queue = [];
    handle(batch);
  };
  return (msg) => {
    queue.push(msg);
    if (timer === null) timer = setTimeout(flush, everyMs);
  };
}

// A national registry loaded or re-published whole is ~110,000 changes at once: even batched, the page counted the
// last of them 24 s after the push answered, and every map downloaded each one (~500 bytes). The map asks the stream
// for bursts (GET /api/v1/events?burst=BURST_AT): more changes than that waiting at once arrive as one `burst` event
// — from, to (its id), changes, layers, bbox — and the page redraws those layers instead of noting each change.
export const BURST_AT = 200;

/** A `burst` event's summary, or null when it is not one the page can read. */
export function readBurst(msg) {
  try {
    const b = JSON.parse(msg.data);
    return Number.isFinite(b?.changes) && Array.isArray(b.layers) ? b : null;
  } catch {
    return null;
  }
}
