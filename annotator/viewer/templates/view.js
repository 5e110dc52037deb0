"use strict";
(function () {
  // Everything shown comes from the article or a model: it is written with textContent only.
  const data = JSON.parse(document.getElementById("claims-data").textContent);
  const claims = data.claims;
  const others = data.other;
  const panel = document.getElementById("details");
  const layers = ["content", "cue", "mention", "hedge"];
  const segs = Array.from(document.querySelectorAll("#text .seg"));
  const ofClaim = new Map();
  const ofOther = new Map();
  const ids = (value) => (value ? value.split(" ").map(Number) : []);

  for (const seg of segs) {
    for (const layer of layers) {
      for (const i of ids(seg.dataset[layer])) {
        if (!ofClaim.has(i)) ofClaim.set(i, new Set());
        ofClaim.get(i).add(seg);
      }
    }
    for (const i of ids(seg.dataset.other)) {
      if (!ofOther.has(i)) ofOther.set(i, new Set());
      ofOther.get(i).add(seg);
    }
  }

  let pinned = null; // {kind: "claim" | "other", index}
  let lastSeg = null;
  let cycle = 0;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function show(value) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) return "—";
    return Array.isArray(value) ? value.join(", ") : String(value);
  }

  function render(rows, head) {
    panel.replaceChildren();
    panel.appendChild(el("div", head, "head"));
    const dl = el("dl");
    for (const [name, value] of rows) {
      const dt = el("dt", name);
      const dd = el("dd", show(value));
      dd.dataset.field = name;
      dl.append(dt, dd);
    }
    panel.appendChild(dl);
  }

  function alignment(tiers) {
    return Object.entries(tiers).map(([field, tier]) => field + " " + tier).join(", ");
  }

  function showClaim(i) {
    const c = claims[i];
    const rows = [
      ["speaker", c.speaker + (c.role ? " (" + c.role + ")" : "")],
      ["type", c.speaker_type],
      ["mention", c.mention],
      ["cue", c.cue],
      ["content", c.content],
      ["quote type", c.quote_type],
      ["via", c.via],
      ["hedging", c.hedging === null ? null : c.hedging + (c.hedge_cues.length ? " (" + c.hedge_cues.join(", ") + ")" : "")],
      ["stance", c.stance],
      ["restatement", c.restatement === null ? null : c.restatement + (c.restatement_by ? " (written by the " + c.restatement_by + " backend, not the article's words)" : "")],
      ["alignment", alignment(c.alignment)],
    ];
    if (c.unverified.length) rows.push(["not in the article", c.unverified]);
    if (c.status) rows.push(["comparison", c.status]);
    for (const d of c.differences) rows.push([d.field + " differs", d.here + " here, " + d.other + " on the other side"]);
    render(rows, "Claim " + (i + 1) + " of " + claims.length);
  }

  function showOther(i) {
    const o = others[i];
    const rows = [["speaker", o.speaker], ["cue", o.cue], ["content", o.content]];
    for (const [name, value] of Object.entries(o.labels)) rows.push([name.replace("_", " "), value]);
    render(rows, "Only on the other side of the comparison");
  }

  function mark(cls, target) {
    for (const seg of document.querySelectorAll("#text .seg." + cls)) seg.classList.remove(cls);
    for (const item of document.querySelectorAll(".claim-item.active")) item.classList.remove("active");
    if (!target) return;
    const set = (target.kind === "claim" ? ofClaim : ofOther).get(target.index);
    if (set) for (const seg of set) seg.classList.add(cls);
    if (target.kind === "claim" && cls === "sel") {
      const item = document.querySelector('.claim-item[data-claim="' + target.index + '"]');
      if (item) item.classList.add("active");
    }
  }

  function display(target) {
    if (!target) {
      panel.replaceChildren(el("p", "Click or hover a highlighted passage, or a claim below, to see its labels.", "hint"));
    } else if (target.kind === "claim") {
      showClaim(target.index);
    } else {
      showOther(target.index);
    }
  }

  function select(target, scroll) {
    pinned = target;
    mark("sel", target);
    display(target);
    if (scroll && target) {
      const set = (target.kind === "claim" ? ofClaim : ofOther).get(target.index);
      const first = set ? Array.from(set)[0] : null;
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }

  function candidates(seg) {
    // The innermost claim first: the one whose content is shortest, then cue, mention, hedge owners.
    const found = [];
    const size = (i) => (ofClaim.get(i) ? Array.from(ofClaim.get(i)).reduce((n, s) => n + s.textContent.length, 0) : 0);
    for (const i of ids(seg.dataset.content).sort((a, b) => size(a) - size(b))) found.push({ kind: "claim", index: i });
    for (const layer of ["cue", "mention", "hedge"]) {
      for (const i of ids(seg.dataset[layer])) {
        if (!found.some((t) => t.kind === "claim" && t.index === i)) found.push({ kind: "claim", index: i });
      }
    }
    for (const i of ids(seg.dataset.other)) found.push({ kind: "other", index: i });
    return found;
  }

  const text = document.getElementById("text");
  if (text) {
    text.addEventListener("click", (event) => {
      const seg = event.target.closest(".seg");
      if (!seg) return select(null, false);
      const found = candidates(seg);
      cycle = seg === lastSeg ? (cycle + 1) % found.length : 0;
      lastSeg = seg;
      select(found[cycle], false);
    });
    text.addEventListener("mouseover", (event) => {
      const seg = event.target.closest(".seg");
      if (!seg) return;
      const target = candidates(seg)[0];
      mark("hov", target);
      if (!pinned) display(target);
    });
    text.addEventListener("mouseleave", () => {
      mark("hov", null);
      display(pinned);
    });
  }

  for (const button of document.querySelectorAll("[data-claim]")) {
    button.addEventListener("click", () => select({ kind: "claim", index: Number(button.dataset.claim) }, true));
  }
  for (const button of document.querySelectorAll("[data-other]")) {
    if (button.classList.contains("seg")) continue;
    button.addEventListener("click", () => select({ kind: "other", index: Number(button.dataset.other) }, true));
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") select(null, false);
    if ((event.key === "j" || event.key === "k") && claims.length) {
      const current = pinned && pinned.kind === "claim" ? pinned.index : -1;
      const next = event.key === "j" ? Math.min(claims.length - 1, current + 1) : Math.max(0, current - 1);
      select({ kind: "claim", index: next }, true);
    }
  });
})();
