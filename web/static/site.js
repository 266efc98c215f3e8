// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // An error summary takes the focus, so keyboard and screen-reader users hear it first.
  const summary = document.querySelector("[data-focus]");
  if (summary) summary.focus();
  // The unit picker: typing narrows the list of units (all are listed without JavaScript).
  document.querySelectorAll("input[data-filter-for]").forEach((input) => {
    const list = document.getElementById(input.dataset.filterFor);
    if (!list) return;
    input.addEventListener("input", () => {
      const wanted = input.value.trim().toLocaleLowerCase("vi");
      list.querySelectorAll("li").forEach((item) => {
        item.hidden = wanted !== "" && !item.dataset.name.includes(wanted);
      });
    });
  });
});
