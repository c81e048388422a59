// The only way the pages talk to the server: the REST API of the contract, with the session cookie and CSRF header.
export const config = JSON.parse(document.getElementById("desk-config").textContent);
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `The server answered ${status}.`);
    this.status = status;
    this.code = (body && body.code) || "error";
    this.errors = (body && body.errors) || {};
    this.body = body || {};
  }
}

function url(path, params) {
  const u = new URL(path.startsWith("/") ? path : config.api + path, window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") u.searchParams.set(key, value);
  }
  return u.toString();
}

export async function api(path, { method = "GET", params, body, headers = {} } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET") init.headers["X-CSRFToken"] = csrfToken;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, params), init);
  } catch (err) {
    throw new ApiError(0, { code: "network", detail: "The server cannot be reached. Check the connection and retry." });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (err) {
    data = { detail: `The server answered ${response.status}.` };
  }
  if (response.status === 401 || response.status === 403) {
    if (response.status === 401 || (data && data.code === "not_authenticated")) {
      window.location.href = `/accounts/login/?next=${encodeURIComponent(window.location.pathname)}`;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Every row of a paginated list, following `next` (lists are small for the desk: one day, one patient).
export async function listAll(path, params) {
  let page = await api(path, { params });
  if (Array.isArray(page)) return page;
  const rows = [...page.results];
  while (page.next) {
    page = await api(page.next);
    rows.push(...page.results);
  }
  return rows;
}

export function newIdempotencyKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
