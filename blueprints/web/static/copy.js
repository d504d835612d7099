// Copy buttons: copy the install command of the input a button names (data-copy).
// Without JavaScript the command stays in a read-only input to select and copy by hand.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    button.textContent = "Copied";
  } catch (error) {
    button.textContent = "Selected: press Ctrl+C";
  }
});
