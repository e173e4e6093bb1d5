export { Booking, BOOKING_STATUSES } from './bookings.model.js';
export { bookingOperations } from './bookings.ops.js';
