/* The SPARQL page's editor: CodeMirror (vendor/codemirror) over the query textarea, with SPARQL highlighting
   and Ctrl/Cmd+Enter to run. Without JavaScript the plain textarea and the form work the same. */
(function () {
  "use strict";
  var area = document.getElementById("query");
  if (!area || typeof window.CodeMirror === "undefined") { return; }
  var form = area.form;
  function run() {
    editor.save();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }
  var editor = window.CodeMirror.fromTextArea(area, {
    mode: "application/sparql-query",
    lineNumbers: true,
    indentUnit: 2,
    lineWrapping: true,
    viewportMargin: Infinity,
    extraKeys: { "Ctrl-Enter": run, "Cmd-Enter": run }
  });
  var label = document.querySelector('label[for="query"]');
  var input = editor.getInputField();
  input.setAttribute("aria-label", label ? label.textContent : "SPARQL");
  input.id = "query-editor";
  if (label) { label.setAttribute("for", "query-editor"); }
  document.documentElement.classList.add("has-editor");
})();
