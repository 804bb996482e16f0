// Writes the policy text into <main> from the page's own JSON, as single-page apps do.
fetch("/api/policy.json")
  .then((response) => response.json())
  .then((data) => {
    const main = document.getElementById("app");
    const heading = document.createElement("h1");
    heading.textContent = data.title;
    main.appendChild(heading);
    for (const sentence of data.paragraphs) {
      const p = document.createElement("p");
      p.textContent = sentence;
      main.appendChild(p);
    }
    document.title = data.title;
  });
