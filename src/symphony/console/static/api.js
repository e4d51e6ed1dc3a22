// JSON calls to the Symphony API with an optional bearer key kept for this tab only.

import { $ } from "./dom.js";

const STORAGE_KEY = "symphony.console.apiKey";
const listeners = new Set();
let pendingPrompt = null;

export function getKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function setKey(key) {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled; the key then lives only until the prompt closes.
  }
  for (const fn of listeners) fn(key);
}

export function forgetKey() {
  setKey(null);
}

/** Run fn(key) whenever the key changes (entered or forgotten). */
export function onKeyChange(fn) {
  listeners.add(fn);
}

/** Resolve with true once a key was entered, false if the person cancelled. */
export function requestKey(reason) {
  if (!pendingPrompt) {
    pendingPrompt = promptForKey(reason).finally(() => {
      pendingPrompt = null;
    });
  }
  return pendingPrompt;
}

function promptForKey(reason) {
  const dialog = $("#key-dialog");
  const form = $("#key-form");
  const input = $("#key-input");
  const error = $("#key-error");
  error.textContent = reason || "";
  input.value = "";
  return new Promise((resolve) => {
    const finish = (ok) => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("cancel", onCancel);
      $("#key-cancel").removeEventListener("click", onCancel);
      if (dialog.open) dialog.close();
      resolve(ok);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        error.textContent = "Enter a key to continue.";
        input.focus();
        return;
      }
      input.value = "";
      setKey(key);
      finish(true);
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(false);
    };
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("cancel", onCancel);
    $("#key-cancel").addEventListener("click", onCancel);
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}

/** Headers for an API call: JSON plus the bearer key when one is stored. */
export function authHeaders(extra = {}) {
  const headers = { Accept: "application/json", ...extra };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  return headers;
}

/** The message to show when a 401 comes back (a stored key was refused, or none was sent). */
export function unauthorizedReason(hadKey) {
  return hadKey
    ? "That key was not accepted (401). Enter another key."
    : "This server requires an API key for the console's API calls.";
}

/**
 * Call the API. Returns {ok, status, data}; a network failure gives status 0. On 401 it asks
 * for a key (one prompt shared by every caller) and retries; if the person cancels, the 401
 * result is returned.
 */
export async function api(path, { method = "GET", body, signal } = {}) {
  for (;;) {
    const sentKey = getKey();
    const headers = authHeaders(body === undefined ? {} : { "Content-Type": "application/json" });
    let res;
    try {
      res = await fetch(path, {
        method, headers, signal, cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      return { ok: false, status: 0, data: { error: { code: "network", message: "the server did not answer" } } };
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.status === 401) {
      // A key entered while this call was in flight: just try again with it.
      if (getKey() !== sentKey) continue;
      if (sentKey) forgetKey();
      if (await requestKey(unauthorizedReason(Boolean(sentKey)))) continue;
    }
    return { ok: res.ok, status: res.status, data };
  }
}

/** The error text of a failed call: the server's message, or the status. */
export function errorText(result) {
  const err = result && result.data && result.data.error;
  if (err && err.message) return err.message;
  if (err && err.code) return err.code;
  return result && result.status ? `HTTP ${result.status}` : "the server did not answer";
}
