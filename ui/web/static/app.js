// airsign treasury: the little JavaScript the pages use. Every page works
// without it (forms post, links load); it adds the QR animation, the
// camera and per-file upload progress, short polling for live state and
// the large mode. Served from the coordinator, never inline (the CSP
// forbids inline script).
"use strict";

(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // leaving is set once this page is on its way elsewhere (a form sent, a
  // link followed, a scripted redirect): from then on the poller below must
  // not reload the page, or its reload would cancel that navigation (the
  // approval's or the broadcast's confirmation page would never show).
  // A navigation that never happens (stopped, or a link the browser hands
  // to another program) must not stop live updates for good: leaving lapses
  // after 15 s.
  let leaving = false, leavingTimer = null;
  const setLeaving = () => {
    leaving = true;
    clearTimeout(leavingTimer);
    leavingTimer = setTimeout(() => { leaving = false; }, 15000);
  };
  const go = (url) => { setLeaving(); location.href = url; };
  document.addEventListener("submit", (ev) => { if (!ev.defaultPrevented) setLeaving(); });
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest && ev.target.closest("a[href]");
    const plain = ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && !ev.altKey;
    if (a && plain && !ev.defaultPrevented && !a.hasAttribute("download") && !a.target && !a.getAttribute("href").startsWith("#")) setLeaving();
  });
  window.addEventListener("pagehide", () => { leaving = true; });
  window.addEventListener("pageshow", (ev) => { if (ev.persisted) leaving = false; }); // back from the cache

  // Large mode: bigger type for a wall screen, remembered per browser.
  const large = document.getElementById("large-toggle");
  if (localStorage.getItem("airsign-large") === "1") document.documentElement.classList.add("large");
  if (large) {
    large.addEventListener("click", () => {
      const on = document.documentElement.classList.toggle("large");
      localStorage.setItem("airsign-large", on ? "1" : "0");
    });
  }

  // qrChoices is the query that keeps the request page's QR controls
  // (density, format, PSBT version) as they are set: "" on other pages.
  const qrChoices = () => {
    const q = new URLSearchParams();
    for (const [name, id] of [["density", "qr-density"], ["format", "qr-format"], ["psbt_version", "qr-psbt-version"]]) {
      const el = document.getElementById(id);
      if (el) q.set(name, el.value);
    }
    const s = q.toString();
    return s ? "?" + s : "";
  };

  // Short polling: a page region with data-poll reloads the page when the
  // server's version of it changes (a new approval, broadcast,
  // confirmation), unless someone is typing in a form.
  const poll = document.querySelector("[data-poll]");
  if (poll) {
    const url = poll.dataset.poll;
    let version = poll.dataset.version;
    setInterval(async () => {
      const active = document.activeElement;
      if (active && (active.tagName === "INPUT" || active.tagName === "SELECT")) return;
      if (scanning || leaving) return;
      try {
        const r = await fetch(url, { credentials: "same-origin", cache: "no-store" });
        // The answer may come after a form was sent or a scan finished.
        if (scanning || leaving) return;
        if (r.status === 401) { go("/login"); return; }
        if (!r.ok) return;
        const j = await r.json();
        if (j.version !== version && !scanning && !leaving) {
          // Load the page afresh, without the one-time notice of the
          // action that led here (it would be stale now), keeping the
          // QR controls as they were set.
          version = j.version;
          go(location.pathname + qrChoices());
        }
      } catch (e) { /* the coordinator may be restarting; try again next tick */ }
    }, 3000);
  }

  // The animated QR: server-rendered PNG frames. A UR transfer is an
  // endless stream (count.json says endless): frame n+1 is fetched while n
  // shows, so a kiosk that missed frames gets fresh fountain parts rather
  // than the same loop again. Other formats loop their frames. The PSBT
  // version control picks what the frames, the GIF and the PSBT file
  // carry: version 0, or 2 for wallets that read only BIP-370.
  const player = document.getElementById("qr-player");
  if (player) {
    const img = document.getElementById("qr-frame");
    const no = document.getElementById("frame-no");
    const count = document.getElementById("frame-count");
    const speed = document.getElementById("qr-speed");
    const density = document.getElementById("qr-density");
    const format = document.getElementById("qr-format");
    const version = document.getElementById("qr-psbt-version");
    const psbtFile = document.getElementById("psbt-download");
    const pause = document.getElementById("qr-pause");
    const download = document.getElementById("qr-download");
    let loop = 0, period = 0, k = 0, ahead = [], timer = null, paused = false;
    // The frames follow the controls, as a reload does.
    const query = qrChoices;
    // links makes the downloads follow the controls, whether or not the
    // frame count then arrives.
    const links = () => {
      const gif = new URL(download.href);
      gif.searchParams.set("density", player.dataset.density);
      if (format) gif.searchParams.set("format", format.value);
      if (version) gif.searchParams.set("psbt_version", version.value);
      download.href = gif.href;
      if (psbtFile && version) {
        const file = new URL(psbtFile.href);
        file.searchParams.set("psbt_version", version.value);
        psbtFile.href = file.href;
      }
    };
    const fetchFrame = (n) => {
      const f = new Image();
      f.src = player.dataset.base + n + ".png" + query();
      return { n, f };
    };
    // load starts over with n frames a loop, or an endless stream of
    // period frames; a few are fetched ahead of the one shown.
    const load = (n, p) => {
      loop = n;
      period = p || n;
      count.textContent = n;
      k = 0;
      ahead = [];
      for (let i = 1; i <= Math.min(period, 4); i++) ahead.push(fetchFrame(i));
    };
    const show = () => {
      if (!ahead.length) return;
      const { n, f } = ahead.shift();
      img.src = f.src;
      no.textContent = n;
      k = n;
      const next = ahead.length ? ahead[ahead.length - 1].n % period + 1 : k % period + 1;
      ahead.push(fetchFrame(next));
    };
    const start = () => {
      clearInterval(timer);
      if (!paused && loop > 1) timer = setInterval(show, 1000 / Number(speed.value));
    };
    const refresh = async () => {
      links();
      const r = await fetch(player.dataset.base + "count.json" + query(), { credentials: "same-origin" });
      if (!r.ok) return;
      const j = await r.json();
      load(j.frames, j.endless ? j.period : j.frames);
      show();
      start();
    };
    load(Number(player.dataset.count), Number(player.dataset.count));
    start();
    refresh();
    speed.addEventListener("change", start);
    pause.addEventListener("click", () => {
      paused = !paused;
      pause.textContent = paused ? "Play" : "Pause";
      start();
    });
    density.addEventListener("change", () => {
      player.dataset.density = density.value;
      refresh();
    });
    if (format) format.addEventListener("change", refresh);
    if (version) version.addEventListener("change", refresh);
    document.getElementById("qr-fullscreen").addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else if (player.requestFullscreen) player.requestFullscreen();
    });
  }

  // The return path: every file or camera frame is posted on its own to
  // the scan endpoint, which decodes it with the coordinator's QR reader
  // (no QR decoder runs in the browser) and answers with the progress.
  let scanning = false;
  const form = document.getElementById("upload-form");
  const bar = document.getElementById("scan-bar");
  const progress = document.getElementById("scan-progress");
  const status = document.getElementById("scan-status");
  // Start over is offered while a transfer holds parts: frames of
  // another PSBT scanned by mistake would otherwise hold the right ones
  // back.
  const restart = document.getElementById("restart-form");
  const report = (j) => {
    const pct = Math.round(100 * (j.progress || 0));
    bar.style.width = pct + "%";
    progress.setAttribute("aria-valuenow", String(pct));
    status.textContent = j.message || "";
    status.classList.toggle("error", !!j.error);
    if (restart && j.parts !== undefined) restart.hidden = !(j.parts > 0 && !j.done);
  };
  if (bar && bar.dataset.progress) bar.style.width = bar.dataset.progress + "%";
  const send = async (blob) => {
    const r = await fetch(form.dataset.scan, {
      method: "POST", credentials: "same-origin", body: blob,
      headers: { "X-CSRF-Token": csrf, "Content-Type": blob.type || "application/octet-stream" },
    });
    let j;
    try { j = await r.json(); } catch (e) { j = { error: true, message: "The coordinator answered " + r.status + "." }; }
    if (!r.ok) j.error = true;
    report(j);
    return j;
  };
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const files = document.getElementById("frames").files;
      scanning = true;
      for (const f of files) {
        const j = await send(f);
        if (j.redirect) { go(j.redirect); return; }
        if (j.error && j.fatal) break;
      }
      scanning = false;
    });
  }

  // Camera scanning: frames from getUserMedia drawn on a canvas and sent
  // as JPEG, one as soon as the coordinator has answered the last, until the
  // transfer is complete. The pause between frames varies (200 to 400 ms):
  // a fixed one could keep step with the kiosk's loop and catch the same few
  // frames of it again and again.
  const startBtn = document.getElementById("camera-start");
  if (startBtn && form) {
    const stopBtn = document.getElementById("camera-stop");
    const video = document.getElementById("camera");
    const canvas = document.getElementById("camera-canvas");
    let stream = null, tick = null;
    const stop = () => {
      clearTimeout(tick);
      if (stream) stream.getTracks().forEach((t) => t.stop());
      stream = null; scanning = false;
      video.hidden = true; stopBtn.hidden = true; startBtn.hidden = false;
    };
    startBtn.addEventListener("click", async () => {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        report({ error: true, message: "This browser gives no camera here (cameras need https or localhost). Upload the frames instead." });
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false });
      } catch (e) {
        report({ error: true, message: "No camera: " + e.message + ". Allow the camera for this site, or upload the frames instead." });
        return;
      }
      scanning = true;
      video.srcObject = stream; video.hidden = false; await video.play();
      startBtn.hidden = true; stopBtn.hidden = false;
      const next = () => { if (stream) tick = setTimeout(grab, 200 + Math.random() * 200); };
      const grab = () => {
        if (!stream) return;
        if (!video.videoWidth) { next(); return; }
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        canvas.getContext("2d").drawImage(video, 0, 0);
        canvas.toBlob(async (blob) => {
          let j = {};
          try {
            j = await send(blob);
          } catch (e) {
            report({ error: true, message: "The coordinator did not answer (" + e.message + "); still trying." });
          }
          if (j.redirect) { setLeaving(); stop(); go(j.redirect); return; }
          if (j.error && j.fatal) { stop(); return; }
          next();
        }, "image/jpeg", 0.9);
      };
      next();
    });
    stopBtn.addEventListener("click", stop);
  }
  // Security keys and passkeys (WebAuthn). The coordinator hands out the
  // challenge; the authenticator signs it; the coordinator checks and files
  // the answer. To approve, the challenge is the digest of the approval
  // message itself (request, every output, fee, expiry), so the key's
  // signature counts for that message alone.
  const b64u = {
    enc: (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
    dec: (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
  };
  const postJSON = async (url, body, form) => {
    const r = await fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: form ? { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" }
        : { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: form ? new URLSearchParams(body) : JSON.stringify(body),
    });
    let j;
    try { j = await r.json(); } catch (e) { j = { error: true, message: "The coordinator answered " + r.status + "." }; }
    if (!r.ok) j.error = true;
    return j;
  };
  const keyError = (e) => e && e.name === "NotAllowedError"
    ? "The security key was not used (cancelled, timed out, or not touched). Try again."
    : "The browser could not use a security key: " + (e && e.message || e);

  const registerForm = document.getElementById("register-form");
  if (registerForm) {
    const status = document.getElementById("register-status");
    const say = (msg, err) => { status.textContent = msg; status.classList.toggle("error", !!err); };
    document.getElementById("register-key").addEventListener("click", async () => {
      if (!window.PublicKeyCredential) { say("This browser has no WebAuthn (security keys): use a current browser over https or on localhost.", true); return; }
      say("Asking the coordinator…");
      const o = await postJSON(registerForm.dataset.begin, {}, true);
      if (o.error) { say(o.message, true); return; }
      say("Touch your security key, or confirm the passkey.");
      let cred;
      try {
        cred = await navigator.credentials.create({ publicKey: {
          challenge: b64u.dec(o.challenge),
          rp: { id: o.rpId, name: "airsign treasury" },
          user: { id: b64u.dec(o.userId), name: o.userName, displayName: o.userName },
          pubKeyCredParams: [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -8 }],
          excludeCredentials: o.exclude.map((id) => ({ type: "public-key", id: b64u.dec(id) })),
          authenticatorSelection: { userVerification: "preferred", residentKey: "discouraged" },
          attestation: "none", timeout: 120000,
        } });
      } catch (e) { say(keyError(e), true); return; }
      const j = await postJSON(registerForm.dataset.finish, {
        Challenge: o.challenge, CredentialID: b64u.enc(cred.rawId),
        AttestationObject: b64u.enc(cred.response.attestationObject),
        ClientDataJSON: b64u.enc(cred.response.clientDataJSON),
        Label: document.getElementById("key-label").value,
      });
      if (j.error) { say(j.message, true); return; }
      go(j.next);
    });
  }

  const approveKeyForm = document.getElementById("approve-key-form");
  if (approveKeyForm) {
    const status = document.getElementById("approve-key-status");
    const say = (msg, err) => { status.textContent = msg; status.classList.toggle("error", !!err); };
    document.getElementById("approve-key").addEventListener("click", async () => {
      if (!window.PublicKeyCredential) { say("This browser has no WebAuthn (security keys).", true); return; }
      const o = await postJSON(approveKeyForm.dataset.begin, { expires: document.getElementById("key-expires").value }, true);
      if (o.error) { say(o.message, true); return; }
      say("Touch your security key to approve.");
      let a;
      try {
        a = await navigator.credentials.get({ publicKey: {
          challenge: b64u.dec(o.challenge), rpId: o.rpId, timeout: 120000, userVerification: "preferred",
          allowCredentials: o.credentials.map((id) => ({ type: "public-key", id: b64u.dec(id) })),
        } });
      } catch (e) { say(keyError(e), true); return; }
      const j = await postJSON(approveKeyForm.dataset.finish, {
        Expires: o.expires, CredentialID: b64u.enc(a.rawId),
        AuthenticatorData: b64u.enc(a.response.authenticatorData),
        ClientDataJSON: b64u.enc(a.response.clientDataJSON),
        Signature: b64u.enc(a.response.signature),
      });
      if (j.error) { say(j.message, true); return; }
      go(j.next);
    });
  }
  // Copy the receive address: the clipboard where the browser allows it
  // (https or localhost), else the address selected for the person to copy.
  // The button says "Copied" for a moment, then "Copy" again, so a second
  // press (another address later) reads the same as the first.
  const copyBtn = document.getElementById("copy-address");
  if (copyBtn) {
    const status = document.getElementById("copy-status");
    const label = copyBtn.textContent;
    let back = 0;
    copyBtn.addEventListener("click", async () => {
      clearTimeout(back);
      try {
        await navigator.clipboard.writeText(copyBtn.dataset.copy);
        copyBtn.textContent = "Copied";
        status.textContent = "";
      } catch (e) {
        const range = document.createRange();
        range.selectNodeContents(document.getElementById("receive-address"));
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        status.textContent = "Selected: press Ctrl+C to copy.";
      }
      back = setTimeout(() => { copyBtn.textContent = label; }, 1500);
    });
  }

  // The withdraw form: a payee picked or an address typed, not both (the
  // server refuses the two when they differ); a rate typed is a custom
  // fee, a preset picked drops the rate.
  const payee = document.getElementById("payee"), to = document.getElementById("to");
  if (payee && to) {
    const typed = to.placeholder;
    const picked = () => {
      const addr = payee.value && payee.selectedOptions[0].dataset.address;
      if (addr) to.value = "";
      to.placeholder = addr || typed;
    };
    payee.addEventListener("change", picked);
    to.addEventListener("input", () => { if (to.value) { payee.value = ""; to.placeholder = typed; } });
    picked();
  }
  const rate = document.getElementById("feerate"), custom = document.getElementById("fee-custom");
  if (rate && custom) {
    rate.addEventListener("input", () => { if (rate.value) custom.checked = true; });
    document.querySelectorAll('input[name="feepreset"]').forEach((r) => {
      r.addEventListener("change", () => { if (r.checked && r !== custom) rate.value = ""; });
    });
  }
})();
