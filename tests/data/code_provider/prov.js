class Provider {
  constructor(options) { this.options = options; this.n = 0; }
  id() { return 'js-prov'; }
  async callApi(prompt, context) {
    this.n++;
    if (prompt.includes('boom')) throw new Error('kaboom');
    await new Promise(r => setTimeout(r, 10));
    return { output: `js:${prompt}:${this.options.config.greeting}:${context.vars.q}:${this.n}`, tokenUsage: { prompt: 1, completion: 2, total: 3 } };
  }
}
module.exports = Provider;
