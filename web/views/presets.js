// presets.js — the buttons of the trained presets, one per entry of presets.json, and which one is
// lit. Draws what it is given; loading a preset is the caller's (onPick).

export function createPresetButtons(host, { onPick }) {
  function render(presets) {
    host.replaceChildren(...presets.map((p) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'preset';
      b.dataset.preset = p.name;
      const title = document.createElement('strong');
      title.textContent = p.title;
      const text = document.createElement('span');
      text.textContent = `${p.description} ${p.epochs} epoch${p.epochs === 1 ? '' : 's'} · val loss ${p.val_loss.toFixed(3)} · PSNR ${p.val_psnr.toFixed(1)} dB`;
      b.append(title, text);
      b.addEventListener('click', () => onPick(p));
      return b;
    }));
  }
  function setActive(name) {
    for (const b of host.querySelectorAll('.preset')) {
      b.classList.toggle('active', b.dataset.preset === name);
      b.setAttribute('aria-pressed', String(b.dataset.preset === name));
    }
  }
  return { render, setActive };
}
