// Sort and filter the report's tables without a server: click a header to sort (rows stay inside their
// program group), type in a .filter box to hide rows that do not contain the text.
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = th.dataset.dir !== "asc";
      th.dataset.dir = asc ? "asc" : "desc";
      table.querySelectorAll("tbody").forEach(function (body) {
        var rows = Array.from(body.querySelectorAll("tr:not(.program)"));
        rows.sort(function (a, b) {
          var x = cellValue(a, col), y = cellValue(b, col);
          if (x === y) return 0;
          return (x < y ? -1 : 1) * (asc ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
});
function cellValue(row, col) {
  var cell = row.children[col];
  if (!cell) return "";
  var key = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
  var number = parseFloat(key);
  return isNaN(number) || String(number) !== key.replace(/^\+/, "") ? key.toLowerCase() : number;
}
document.querySelectorAll("input.filter").forEach(function (input) {
  var table = document.getElementById(input.dataset.table);
  input.addEventListener("input", function () {
    var text = input.value.toLowerCase();
    table.querySelectorAll("tbody tr:not(.program)").forEach(function (row) {
      row.hidden = text !== "" && row.textContent.toLowerCase().indexOf(text) < 0;
    });
  });
});
