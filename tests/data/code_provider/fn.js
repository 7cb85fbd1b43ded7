module.exports = async (prompt, context) => ({ output: 'fn:' + prompt.toUpperCase() });
