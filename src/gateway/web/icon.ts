/** A swift in flight, on the accent colour: the favicon and the header mark. */
export const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="8" fill="#2459d6"/>' +
  '<path d="M4 10.5c5 .6 9 3.6 12 8.6 3-5 7-8 12-8.6-4.2 2.6-7 6.6-8.2 11.9h-7.6C11 17.1 8.2 13.1 4 10.5z" fill="#fff"/>' +
  '</svg>\n';
