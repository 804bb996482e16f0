// Letter page: a "Copy" button for the letter's textarea (without JavaScript the
// textarea can be selected and copied by hand, so the button starts hidden).
document.querySelectorAll("button.copy-letter").forEach((button) => {
  const area = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  button.hidden = false;
  button.addEventListener("click", async () => {
    area.select();
    try {
      await navigator.clipboard.writeText(area.value);
      status.textContent = "Copied.";
    } catch (err) {
      status.textContent = "Select the text and copy it with your keyboard.";
    }
  });
});
