// The one error class of core/train: bad training options, empty batches, checkpoints that do not fit.
export class TrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainError';
  }
}
