// The connection form's mapping, as a table a data engineer fills in: for each column of the
// dataset, the source field it comes from, how to read it (number format, date format, unit
// conversion, a map of values) and its range. The table writes the mapping's JSON into the
// form's field (which stays the one source of truth, and still accepts hand-written JSON,
// e.g. computed columns, which the table keeps as they are).
const root = document.querySelector("[data-mapping-editor]");

function json(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}

function option(value, text, selected) {
  const o = new Option(text, value, false, selected);
  return o;
}

function parseValues(text) {
  const values = {};
  for (const pair of text.split(";")) {
    const [from, ...to] = pair.split("=");
    if (from && from.trim() && to.length) values[from.trim()] = to.join("=").trim();
  }
  return values;
}

function showValues(values) {
  return Object.entries(values || {}).map(([a, b]) => `${a}=${b}`).join("; ");
}

function start() {
  if (!root) return;
  const textarea = document.querySelector("textarea[name=mapping]");
  const datasetSelect = document.querySelector("select[name=dataset]");
  const schemas = json("mapping-schemas") || {};
  const sources = json("mapping-sources") || [];
  const strings = json("mapping-strings") || {};
  const body = root.querySelector("tbody");

  function current() {
    try {
      return JSON.parse(textarea.value || "{}") || {};
    } catch {
      return null;
    }
  }

  function render() {
    const columns = schemas[datasetSelect.value] || [];
    const mapping = current();
    root.querySelector("[data-mapping-invalid]").hidden = mapping !== null;
    body.replaceChildren();
    if (mapping === null) return;
    const byColumn = Object.fromEntries((mapping.fields || []).map((f) => [f.column, f]));
    const rules = Object.fromEntries((mapping.rules || []).filter((r) => Object.keys(r).every((k) => ["column", "min", "max"].includes(k))).map((r) => [r.column, r]));
    for (const column of columns) {
      const field = byColumn[column.name] || {};
      const tr = body.insertRow();
      tr.dataset.column = column.name;
      const name = tr.insertCell();
      name.innerHTML = "";
      const strong = document.createElement("strong");
      strong.textContent = column.label || column.name;
      const code = document.createElement("code");
      code.textContent = column.name;
      name.append(strong, " ", code, document.createElement("br"), `${column.type}${column.required ? " *" : ""}`);

      const from = document.createElement("select");
      from.dataset.key = "source";
      from.setAttribute("aria-label", `${strings.source}: ${column.name}`);
      if (field.compute) {
        from.append(option("__computed__", `${strings.computed}: ${field.compute}(${(field.sources || []).join(", ")})`, true));
        from.disabled = true;
      } else {
        from.append(option("", strings.byName, !field.source));
        const names = new Set(sources);
        if (field.source) names.add(field.source);
        for (const s of names) from.append(option(s, s, s === field.source));
      }
      tr.insertCell().append(from);

      const how = tr.insertCell();
      const numeric = column.type === "integer" || column.type === "decimal";
      const isDate = column.type === "date" || column.type === "timestamp";
      if (numeric) {
        const format = document.createElement("select");
        format.dataset.key = "number_format";
        format.setAttribute("aria-label", `${strings.numberFormat}: ${column.name}`);
        for (const [v, t] of [["auto", strings.auto], ["vi", "1.234,5"], ["en", "1,234.5"]]) format.append(option(v, t, (field.number_format || "auto") === v));
        const scale = document.createElement("input");
        scale.type = "number";
        scale.step = "any";
        scale.dataset.key = "scale";
        scale.placeholder = "× 1";
        scale.value = field.scale ?? "";
        scale.setAttribute("aria-label", `${strings.scale}: ${column.name}`);
        how.append(format, scale);
      } else if (isDate) {
        const format = document.createElement("input");
        format.dataset.key = "date_format";
        format.placeholder = strings.dateAuto;
        format.value = field.date_format || "";
        format.setAttribute("aria-label", `${strings.dateFormat}: ${column.name}`);
        how.append(format);
      } else {
        const values = document.createElement("input");
        values.dataset.key = "values";
        values.placeholder = strings.valuesHint;
        values.value = showValues(field.values);
        values.setAttribute("aria-label", `${strings.values}: ${column.name}`);
        how.append(values);
      }

      const range = tr.insertCell();
      if (numeric) {
        for (const key of ["min", "max"]) {
          const input = document.createElement("input");
          input.type = "number";
          input.step = "any";
          input.dataset.rule = key;
          input.placeholder = strings[key];
          input.value = rules[column.name]?.[key] ?? "";
          input.setAttribute("aria-label", `${strings[key]}: ${column.name}`);
          range.append(input);
        }
      }
    }
  }

  function write() {
    const mapping = current();
    if (mapping === null) return;
    const previous = Object.fromEntries((mapping.fields || []).map((f) => [f.column, f]));
    const fields = [];
    // The table manages range rules (column, min, max); other rules are kept as they are.
    const managed = (r) => Object.keys(r).every((k) => ["column", "min", "max"].includes(k));
    const kept = (mapping.rules || []).filter((r) => !managed(r));
    const rules = [...kept];
    for (const tr of body.rows) {
      const column = tr.dataset.column;
      const before = previous[column] || {};
      if (before.compute) { fields.push(before); continue; }
      const field = { ...before, column };
      for (const key of ["source", "number_format", "scale", "date_format", "values"]) delete field[key];
      const get = (key) => tr.querySelector(`[data-key="${key}"]`)?.value.trim() ?? "";
      if (get("source")) field.source = get("source");
      if (get("number_format") && get("number_format") !== "auto") field.number_format = get("number_format");
      if (get("scale")) field.scale = Number(get("scale"));
      if (get("date_format")) field.date_format = get("date_format");
      if (get("values")) field.values = parseValues(get("values"));
      // A field needs a source (or a default): settings on a "same name" column wait for one.
      if (field.source || field.default !== undefined || field.compute) fields.push(field);
      const rule = { column };
      for (const key of ["min", "max"]) {
        const value = tr.querySelector(`[data-rule="${key}"]`)?.value.trim();
        if (value) rule[key] = Number(value);
      }
      if (Object.keys(rule).length > 1) rules.push(rule);
    }
    const next = {};
    if (fields.length) next.fields = fields;
    if (rules.length) next.rules = rules;
    textarea.value = Object.keys(next).length ? JSON.stringify(next, null, 2) : "";
  }

  body.addEventListener("input", write);
  body.addEventListener("change", write);
  textarea.addEventListener("change", render);
  datasetSelect.addEventListener("change", render);
  root.hidden = false;
  render();
}

document.addEventListener("DOMContentLoaded", start);
