// The audible alert for new P1 incidents: a short two-tone beep made with WebAudio (no sound
// file). Browsers only let a page play sound after a user gesture, so `unlock` is called on
// the first click or key press.

export class Alerter {
  private context: AudioContext | null = null;
  /** How many alerts were sounded (or would have been, without audio output). */
  beeps = 0;

  constructor(public muted = false) {}

  unlock(): void {
    if (this.context) {
      if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
      return;
    }
    const Context = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Context) return;
    try {
      this.context = new Context();
    } catch {
      this.context = null;
    }
  }

  /** Sounds the alert unless muted; returns whether it sounded. */
  beep(): boolean {
    if (this.muted) return false;
    this.beeps += 1;
    const context = this.context;
    if (!context) return true;
    try {
      const start = context.currentTime + 0.01;
      for (let i = 0; i < 3; i += 1) {
        const tone = context.createOscillator();
        const gain = context.createGain();
        tone.type = 'square';
        tone.frequency.value = i % 2 === 0 ? 880 : 660;
        const at = start + i * 0.22;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
        tone.connect(gain).connect(context.destination);
        tone.start(at);
        tone.stop(at + 0.2);
      }
    } catch {
      // No audio output: the visual alert still shows.
    }
    return true;
  }
}
