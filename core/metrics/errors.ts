// One error class for every metric: raised for inputs that cannot be scored (length mismatches, unknown
// labels, non-finite losses), never for poor predictions.

export class MetricsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsError';
  }
}
